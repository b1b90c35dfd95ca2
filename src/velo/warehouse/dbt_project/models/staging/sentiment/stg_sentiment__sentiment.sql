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
        cast(scored_at as timestamp) as scored_at,
        cast(_source_file as varchar) as source_file,
        _loaded_at as loaded_at
    from source

),

final as (

    select * from renamed

)

select * from final
