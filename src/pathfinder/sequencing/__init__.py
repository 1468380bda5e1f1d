"""Path sequencing: ranked candidates -> a scheduled, rule-abiding learning path."""

from pathfinder.sequencing._sequencer import PathSequencer
from pathfinder.sequencing._types import LearnerContext, PlannedStep, SequencerConfig

__all__ = ["LearnerContext", "PathSequencer", "PlannedStep", "SequencerConfig"]
