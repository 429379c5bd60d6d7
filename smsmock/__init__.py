"""smsmock: contract tests and a stateful mock server for SMS provider HTTP APIs."""

from smsmock.encoding import Encoding, Segmentation, measure, segment

__all__ = ["Encoding", "Segmentation", "measure", "segment"]
__version__ = "0.1.0"
