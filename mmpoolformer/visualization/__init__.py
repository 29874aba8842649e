"""Pictures of a run's results: its test detections next to the ground
truth, and its training curve; whether a window can show drawings."""
from .detections import DetectionSample, load_detections
from .display import check_display
from .overview import GridLayout, draw_detection_overview
from .run_pictures import draw_run_pictures
from .training_curve import (draw_training_curve, latest_scalars_file,
                             read_scalars)

__all__ = [
    'DetectionSample', 'GridLayout', 'check_display',
    'draw_detection_overview', 'draw_run_pictures', 'draw_training_curve',
    'latest_scalars_file', 'load_detections', 'read_scalars'
]
