-- Public sentiment about Velo Cycles per day: mean VADER score, its label, the number of
-- articles and the day's most positive, most negative and strongest (largest |score|) headline.

with

articles as (

    select * from {{ ref('stg_sentiment__sentiment') }}

),

dated as (

    select
        cast(published_at as date) as sentiment_date,
        title,
        score,
        url,
        row_number() over (
            partition by cast(published_at as date) order by score desc, url asc
        ) as positive_rank,
        row_number() over (
            partition by cast(published_at as date) order by score asc, url asc
        ) as negative_rank,
        row_number() over (
            partition by cast(published_at as date) order by abs(score) desc, url asc
        ) as strength_rank
    from articles

),

daily as (

    select
        sentiment_date,
        avg(score) as mean_score,
        count(*) as article_count,
        max(case when positive_rank = 1 and score > 0 then title end) as top_positive_headline,
        max(case when negative_rank = 1 and score < 0 then title end) as top_negative_headline,
        max(case when strength_rank = 1 then title end) as top_headline
    from dated
    group by sentiment_date

),

final as (

    select
        sentiment_date,
        mean_score,
        article_count,
        top_positive_headline,
        top_negative_headline,
        top_headline,
        case
            when mean_score >= 0.05 then 'positive'
            when mean_score <= -0.05 then 'negative'
            else 'neutral'
        end as label
    from daily

)

select * from final
order by sentiment_date
