"""The roster engine: a ``RosterProblem`` becomes a CP-SAT model whose objective is the
checker's cost; ``solve`` returns the roster with its bound and penalty breakdown."""

from careshift.engine.build import build_model, unsupported_families
from careshift.engine.model import EngineModel, Penalty, UnsupportedRuleError
from careshift.engine.result import PenaltyLine, Progress, SolveResult, input_hash
from careshift.engine.solve import SolveOptions, solve

__all__ = [
    "EngineModel",
    "Penalty",
    "PenaltyLine",
    "Progress",
    "SolveOptions",
    "SolveResult",
    "UnsupportedRuleError",
    "build_model",
    "input_hash",
    "solve",
    "unsupported_families",
]
