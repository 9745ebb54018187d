"""The data tests; fixture generators (``<dataset>/make_data.py``) are scripts, not tests."""

collect_ignore_glob = ["*/make_data.py"]
