"""kodegen.controller: the operator. kopf handlers reconcile CodeGenerations into Jobs (or the
local executor), read their results back, and record status, Events and metrics.

Only this package (and the CLI) imports kopf; the pipeline it calls knows nothing of it.
"""
