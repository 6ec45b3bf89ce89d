"""Human in the loop: confidence per answer, escalation rules, the review queue and feedback."""
