with

source as (

    select * from {{ source('sentiment', 'sentiment') }}

),

renamed as (

    select
        cast(url as varchar) as url,
        cast(title as varchar) as title,
        cast(summary as varchar) as summary,
        cast(source as varchar) as news_source,
        cast(time_published as timestamp) as published_at,
        cast(authors as varchar) as authors,
        cast(score as double precision) as score,
        cast(label as varchar) as label,
        cast(scorer as varchar) as scorer,
        cast(scorer_version as varchar) as scorer_version,
        cast(scored_at as timestamp) as scored_at,
        cast(vendor_score as double precision) as vendor_score,
        cast(vendor_label as varchar) as vendor_label,
        cast(relevance as double precision) as company_relevance,
        cast(ticker_score as double precision) as vendor_company_score,
        cast(ticker_sentiment as varchar) as vendor_ticker_sentiment,
        cast(_source_file as varchar) as source_file,
        _loaded_at as loaded_at
    from source

),

final as (

    select * from renamed

)

select * from final
