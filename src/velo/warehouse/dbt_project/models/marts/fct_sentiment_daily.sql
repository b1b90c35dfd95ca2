-- Public sentiment about Velo Cycles per day, ours next to the news vendor's.
-- Each article weighs by its relevance to the company (the feed's relevance_score for the
-- company's ticker; 1 when the feed gives none), so the daily score is a relevance-weighted mean
-- and, through the weighted sums, any longer period's score is too (not a mean of daily means).

with

articles as (

    select * from {{ ref('stg_sentiment__sentiment') }}

),

weighted as (

    select
        cast(published_at as date) as sentiment_date,
        title,
        score,
        url,
        scorer,
        scorer_version,
        coalesce(vendor_company_score, vendor_score) as vendor_score,
        coalesce(company_relevance, 1.0) as weight,
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
        sum(weight * score) as score_weighted_sum,
        sum(weight) as weight_sum,
        sum(weight * vendor_score) as vendor_score_weighted_sum,
        sum(case when vendor_score is not null then weight end) as vendor_weight_sum,
        count(*) as article_count,
        min(scorer) as scorer,
        min(scorer_version) as scorer_version,
        max(case when positive_rank = 1 and score > 0 then title end) as top_positive_headline,
        max(case when negative_rank = 1 and score < 0 then title end) as top_negative_headline,
        max(case when strength_rank = 1 then title end) as top_headline
    from weighted
    group by sentiment_date

),

final as (

    select
        sentiment_date,
        article_count,
        weight_sum,
        score_weighted_sum,
        vendor_weight_sum,
        vendor_score_weighted_sum,
        scorer,
        scorer_version,
        top_positive_headline,
        top_negative_headline,
        top_headline,
        score_weighted_sum / weight_sum as mean_score,
        vendor_score_weighted_sum / vendor_weight_sum as vendor_mean_score,
        case
            when score_weighted_sum / weight_sum >= 0.05 then 'positive'
            when score_weighted_sum / weight_sum <= -0.05 then 'negative'
            else 'neutral'
        end as label
    from daily

)

select * from final
order by sentiment_date
