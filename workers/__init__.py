"""Celery worker and beat: the entry module is ``workers.main``; tasks are thin calls into services."""
