"""Pure article transforms: decode, extract, clean, normalize, dedup. No I/O, no Prefect."""
