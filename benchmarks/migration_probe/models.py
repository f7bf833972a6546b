"""No models in code: the benchmark writes them as migrations (a models module is what makes
Django run post_migrate, content types included, for this app)."""
