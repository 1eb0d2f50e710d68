"""chiso — reproducible reports of Vietnam's citizen-and-business service index.

Bộ chỉ số phục vụ người dân, doanh nghiệp (Quyết định 766/QĐ-TTg): 5 groups,
22 sub-indicators, 100 points, computed from the national portal's official
results or from a province's own dossier exports.
"""

__version__ = "0.1.0"
