"""Progress reports of the "Bình dân học vụ số" movement per tổ dân phố (quarterly, annual, monthly)."""
