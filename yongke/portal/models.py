"""The portal keeps no rows of its own: its background jobs moved to `yongke.jobs` (the table is still `portal_job`)."""
