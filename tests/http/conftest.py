from tests.http.rawserver import raw_server

__all__ = ["raw_server"]
