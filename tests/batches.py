"""Running a batch job through the real app in tests: upload, wait for it to end, check it is done."""

import time


def run_job(client, name: str, data: bytes, content_type: str = "application/octet-stream", **fields) -> dict:
    """Upload `data` as file `name` (with form `fields`: format, encoding...) and return the
    job once it is done; fails the test if it is refused, fails or takes over a minute."""
    r = client.post("/v1/batches", files={"file": (name, data, content_type)}, data=fields)
    assert r.status_code == 202, r.text
    job_id = r.json()["id"]
    deadline = time.time() + 60
    while (job := client.get(f"/v1/batches/{job_id}").json())["state"] not in ("done", "failed", "cancelled"):
        assert time.time() < deadline
        time.sleep(0.05)
    assert job["state"] == "done", job
    return job
