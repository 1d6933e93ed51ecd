with

source as (

    select * from {{ source('xxgk', 'raw_files') }}

),

renamed as (

    select
        year as folder_year,
        path,
        size as size_bytes,
        sha256,
        report_id,
        kind as file_kind,
        encoding,
        duplicate_of,
        status,
        reason,
        manifest_agency,
        manifest_year,
        source_url,
    from source

)

select * from renamed
