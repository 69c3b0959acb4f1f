# IPython kernel configuration, installed by `make setup` into .venv/etc/ipython/ (read by every kernel of the venv,
# whatever IPYTHONDIR says, and never from the home directory).
# ipykernel warns "Kernel is running over TCP without encryption" at every start. papermill's kernels listen on
# 127.0.0.1 only, and the warning would otherwise be printed into every progress bar of the sweep and the report.
import logging
logging.getLogger('IPKernelApp').addFilter(lambda record: 'without encryption' not in record.getMessage())
