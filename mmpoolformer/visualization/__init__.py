"""Pictures of a run's results: its test detections next to the ground
truth, and its training curve."""
from .detections import DetectionSample, load_detections
from .overview import GridLayout, draw_detection_overview
from .training_curve import (draw_training_curve, latest_scalars_file,
                             read_scalars)

__all__ = [
    'DetectionSample', 'GridLayout', 'draw_detection_overview',
    'draw_training_curve', 'latest_scalars_file', 'load_detections',
    'read_scalars'
]
