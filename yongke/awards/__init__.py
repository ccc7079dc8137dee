"""Post-subsidy awards (后补助): quotes, caps across claims, budget allocation, screening.

Pure modules with no Django import, so they can be tested and benchmarked on plain data:

* `quote` — one organisation, one direction: eligible or not, the amount, and a breakdown
  citing the guide's clause for every yuan; the organisation's earlier claims (`history`)
  apply the caps and exclusions that run across claims.
* `history` — the shape of that claim history and what it implies.
* `allocate` — share a budget among claims exactly (largest remainder, integer yuan).
* `screen` — 免申即享: every organisation of a table against every award direction,
  column-wise, written as the 公示 list.

The formulas themselves are guide data (`award` rules in the guide folders under `yongke/guide/data/`).
"""
