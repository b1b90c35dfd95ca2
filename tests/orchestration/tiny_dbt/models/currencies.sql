select 'USD' as quote union all select 'GBP'
