"""The synthetic learning world: generator and hidden ground-truth dynamics (DESIGN §4).

Models never import this package; only the CLI, tests and offline evaluation do.
"""

from pathfinder.synthetic.dynamics import Dynamics
from pathfinder.synthetic.generator import GENERATOR_VERSION, Simulation, simulate
from pathfinder.synthetic.oracle import ChoiceOracle
from pathfinder.synthetic.sizes import SIZES, WorldSize
from pathfinder.synthetic.writer import TRUTH_DIR, generate

__all__ = [
    "GENERATOR_VERSION",
    "SIZES",
    "TRUTH_DIR",
    "ChoiceOracle",
    "Dynamics",
    "Simulation",
    "WorldSize",
    "generate",
    "simulate",
]
