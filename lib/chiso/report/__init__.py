"""The reporting side: from the computed index to published reports.

- :mod:`~chiso.report.data` — the figures every report of a run shows, computed once (``<run>/_data``);
- what the notebooks show: :mod:`~chiso.report.text` (titles, headers, the unit's summary),
  :mod:`~chiso.report.unit_tables`, :mod:`~chiso.report.province_tables`, :mod:`~chiso.report.maps`
  (enforcement map), :mod:`~chiso.report.internal_tables` (internal edition),
  :mod:`~chiso.report.quality` (input data quality), :mod:`~chiso.report.charts`, built on
  :mod:`~chiso.report.tables` (table formatting), :mod:`~chiso.report.colours` (bands) and
  :mod:`~chiso.report.blocks` (Markdown / raw HTML and Typst blocks a notebook displays);
- :mod:`~chiso.report.render` — executed notebook → HTML and PDF;
- :mod:`~chiso.report.excel` and :mod:`~chiso.report.site` — the workbook and the static site of a run;
- the batch runner (``chiso report``): :mod:`~chiso.report.runner` (a run end to end) with
  :mod:`~chiso.report.request`, :mod:`~chiso.report.tasks`, :mod:`~chiso.report.pool` (warm workers),
  :mod:`~chiso.report.engines` (the warm-kernel papermill engine), :mod:`~chiso.report.fingerprints`
  and :mod:`~chiso.report.manifest`.
"""
