class CostError(Exception):
    """A costing rule refused a move: ``code`` is a contract error code."""

    def __init__(self, code: str, message: str, key=None):
        self.code = code
        self.message = message
        self.key = key  # (doc, line) the failure is about
        super().__init__(f"{code}: {message}")
