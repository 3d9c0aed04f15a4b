"""Wards and tổ dân phố: the shipped reference data, staff imports, and a demo ward."""
