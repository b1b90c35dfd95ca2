-- The daily sentiment is never an unlabelled mix of scorers: every day's articles were scored
-- by one scorer and version (a scorer change re-scores the landing history, see the README).

select
    cast(published_at as date) as sentiment_date,
    count(distinct scorer || ':' || coalesce(scorer_version, '')) as scorers
from {{ ref('stg_sentiment__sentiment') }}
group by cast(published_at as date)
having count(distinct scorer || ':' || coalesce(scorer_version, '')) > 1
