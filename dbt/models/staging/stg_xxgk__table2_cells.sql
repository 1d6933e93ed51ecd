with

source as (

    select * from {{ source('xxgk', 'stg_table2_cells') }}

),

renamed as (

    select
        report_id,
        item,
        measure,
        raw as raw_text,
        value::decimal(24, 2) as value,
        unit as printed_unit,
        state as cell_state,
        line as source_line,
        page as source_page,
        location as source_location,
    from source

)

select * from renamed
