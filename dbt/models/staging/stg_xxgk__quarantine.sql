with

source as (

    select * from {{ source('xxgk', 'quarantine') }}

),

renamed as (

    select
        year as folder_year,
        path,
        sha256,
        stage,
        reason,
    from source

)

select * from renamed
