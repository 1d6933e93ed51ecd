with

source as (

    select * from {{ source('xxgk', 'stg_narrative_facts') }}

),

renamed as (

    select
        report_id,
        fact,
        unit,
        value::decimal(24, 2) as value,
        raw as raw_text,
        line as source_line,
        page as source_page,
        location as source_location,
    from source

)

select * from renamed
