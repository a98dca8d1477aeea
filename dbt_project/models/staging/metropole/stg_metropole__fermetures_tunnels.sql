with

source as (

    select * from {{ source('metropole', 'fermetures_tunnels') }}

),

renamed as (

    select
        -- the dataset has no identifier: its contract key is (tunnel, sens, date_de_debut)
        {{ surrogate_id(['tunnel', 'sens', 'date_de_debut']) }} as tunnel_closure_id,
        cast(tunnel as varchar) as tunnel_name,
        cast(sens as varchar) as direction,
        cast(date_de_debut as timestamptz) as starts_at,
        cast(date_de_fin as timestamptz) as ends_at,
        cast(type as varchar) as closure_type,
        cast(nom as varchar) as label,
        cast(titrecalendrier as varchar) as calendar_title,
        cast(nature as varchar) as closure_nature,
        cast(_delivery_id as varchar) as delivery_id,
        cast(_loaded_at as timestamptz) as loaded_at
    from source

)

select * from renamed
