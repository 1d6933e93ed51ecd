with

source as (

    select * from {{ source('xxgk', 'stg_parse_issues') }}

),

renamed as (

    select
        report_id,
        code as issue_code,
        severity,
        rule as rule_id,
        message,
        line as source_line,
    from source

)

select * from renamed
