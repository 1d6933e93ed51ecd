with

source as (

    select * from {{ source('xxgk', 'stg_reports') }}

),

renamed as (

    select
        report_id,
        sha256,
        file,
        paths,
        source_url,
        year as folder_year,
        coalesce(report_year, year) as year,
        report_year,
        agency,
        agency_source,
        agency_parsed,
        province,
        city,
        county,
        adcode,
        admin_level,
        agency_kind,
        format,
        format_source,
        table2_present,
        table3_present,
        table4_present,
        table3_variant,
    from source

)

select * from renamed
