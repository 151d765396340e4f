"""The seeds' Locust load test ("Auto-scaling model serving project", Step 7), against LbProxy's gateway.

Two kinds of user, as in the seeds: MLServiceUser predicts with a short think time and now and then checks
/health (the embedded default proxies every path to the fleet, so a worker answers it); BurstUser predicts
back to back. A prediction counts as failed unless the answer is 200 with a "prediction" in its JSON.

    locust --config benchmarks/locust/locust.conf          # headless, 1 minute, against http://127.0.0.1:8080

See benchmarks/locust/README.md.
"""
import random

from locust import HttpUser, between, task

FEATURES = 4  # the bundled classifier-small.onnx takes 4 features


def predict(user):
    features = [random.random() for _ in range(FEATURES)]
    with user.client.post("/predict", json={"features": features}, catch_response=True) as response:
        if response.status_code != 200:
            response.failure(f"HTTP {response.status_code}: {response.text[:200]}")
            return
        try:
            body = response.json()
        except ValueError:
            response.failure(f"not JSON: {response.text[:200]}")
            return
        if "prediction" not in body:
            response.failure(f"no prediction in {response.text[:200]}")


class MLServiceUser(HttpUser):
    """Simulated user for load testing."""

    wait_time = between(0.1, 0.5)

    @task(10)
    def predict(self):
        """Make prediction request."""
        predict(self)

    @task(1)
    def health_check(self):
        """Check health endpoint."""
        self.client.get("/health")


class BurstUser(HttpUser):
    """User that generates burst traffic."""

    wait_time = between(0, 0.01)  # minimal wait

    @task
    def predict_burst(self):
        """Burst prediction requests."""
        predict(self)
