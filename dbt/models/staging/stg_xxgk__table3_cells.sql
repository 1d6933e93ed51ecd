with

source as (

    select * from {{ source('xxgk', 'stg_table3_cells') }}

),

renamed as (

    select
        report_id,
        row_key as disposition_key,
        col_key as applicant_key,
        row_order,
        col_order,
        raw as raw_text,
        value::bigint as value,
        state as cell_state,
        line as source_line,
        page as source_page,
        location as source_location,
    from source

)

select * from renamed
