"""Checkers for the exercises in the notebooks.

Each ``check_*`` function takes the learner's own function, runs it on seeded test
cases, compares with the package's reference (:mod:`rnnlesson.kernels` for the
recurrent maths), and prints one verdict with a hint. All of them run on one harness
(:mod:`rnnlesson.exercises.harness`), so they behave the same in every lesson:

* ``check_x(f)`` prints "correct", "not yet" (with a hint naming the mistake) or
  "not attempted yet" (while the stub still raises ``NotImplementedError``) and
  returns a :class:`CheckResult`, truthy only when correct. It never raises, so
  "Run All" keeps going.
* ``check_x(f, strict=True)``, for graded test cells, raises ``AssertionError`` with
  the same verdict and hint when the answer is wrong or not attempted.
"""

from .harness import CheckResult
from .lesson01 import *  # noqa: F401,F403
from .lesson01 import __all__ as _a1
from .lesson02 import *  # noqa: F401,F403
from .lesson02 import __all__ as _a2
from .lesson03 import *  # noqa: F401,F403
from .lesson03 import __all__ as _a3
from .lesson04 import *  # noqa: F401,F403
from .lesson04 import __all__ as _a4
from .lesson05 import *  # noqa: F401,F403
from .lesson05 import __all__ as _a5
from .lesson06 import *  # noqa: F401,F403
from .lesson06 import __all__ as _a6
from .lesson07 import *  # noqa: F401,F403
from .lesson07 import __all__ as _a7
from .lesson08 import *  # noqa: F401,F403
from .lesson08 import __all__ as _a8

__all__ = ["CheckResult", *_a1, *_a2, *_a3, *_a4, *_a5, *_a6, *_a7, *_a8]
