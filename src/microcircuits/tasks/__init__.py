"""The tasks (protocols), one module each, found by the parameter file's ``input_signal``."""

from . import cartpole, dms, genmnist, teacher_student

TASKS = {"step": teacher_student, "cartpole": cartpole, "genMNIST": genmnist, "dms": dms}
