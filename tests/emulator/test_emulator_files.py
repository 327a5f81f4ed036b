"""The Notebook API's files: listing, streamed downloads, uploads to disk, deletes, and what runs write."""

from __future__ import annotations

import hashlib
import tracemalloc

import pytest

from airflow_provider_datalore.emulator.files import generated_chunks, generated_sha256

NB = "o/nb"
DIR = "data/notebook_files"
MIB = 1024 * 1024
FILES = {
    f"{DIR}/out.csv": "a,b\n1,2\n",
    f"{DIR}/nested/deep.txt": "deep",
    f"{DIR}/big.bin": {"size": 64 * MIB, "seed": 7},
    "data/workspace_files/shared.txt": "shared",
}
TOKENS = {"t": {"*": "editor"}, "viewer": {"*": "viewer"}}


@pytest.fixture
def serve(make_emulator, files_for):
    """Return a factory of an emulator with notebook ``o/nb`` holding FILES, and a file client for it."""

    def make(token: str = "t", notebook: dict | None = None, **server):
        nb = {"id": NB, "polls": 0, "files": FILES, **(notebook or {})}
        emulator = make_emulator({"tokens": TOKENS, "notebooks": [nb], **server})
        return emulator, files_for(emulator, token, NB)

    return make


def _sha256(response) -> str:
    digest = hashlib.sha256()
    for chunk in response.iter_content(MIB):
        digest.update(chunk)
    return digest.hexdigest()


def test_a_listing_has_the_directorys_direct_children(serve):
    _, files = serve()

    response = files.list()

    assert response.status_code == 200
    entries = {entry["name"]: entry for entry in response.json()["files"]}
    assert sorted(entries) == ["big.bin", "nested", "out.csv"]
    assert entries["out.csv"]["type"] == "FILE"
    assert entries["out.csv"]["fileSize"] == 8
    assert (entries["nested"]["type"], entries["nested"]["fileSize"]) == ("FOLDER", 0)
    assert entries["big.bin"]["fileSize"] == 64 * MIB
    assert all(
        isinstance(entry["lastModified"], int) and entry["lastModified"] > 1e12 for entry in entries.values()
    )
    assert files.names("data") == ["notebook_files", "workspace_files"]
    assert files.names("data/notebook_files/./nested/") == ["deep.txt"], "empty and '.' segments are dropped"


def test_a_missing_directory_is_404(serve):
    _, files = serve()

    response = files.list("data/nope")

    assert (response.status_code, response.json()) == (404, {"error": "Directory not found: data/nope"})


def test_a_generated_file_downloads_streamed_with_its_headers(serve):
    _, files = serve()

    response = files.download(f"{DIR}/big.bin", stream=True)

    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/octet-stream"
    assert response.headers["Content-Disposition"] == 'attachment; filename="big.bin"'
    assert response.headers["Content-Length"] == str(64 * MIB)
    assert _sha256(response) == generated_sha256(64 * MIB, 7)


def test_a_download_never_holds_the_file_in_memory(serve):
    _, files = serve()
    tracemalloc.start()
    try:
        digest = _sha256(files.download(f"{DIR}/big.bin", stream=True))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert digest == generated_sha256(64 * MIB, 7)
    assert peak < 16 * MIB, f"server and client together peaked at {peak / MIB:.1f} MiB for a 64 MiB file"


def test_generated_bytes_are_deterministic_and_differ_by_seed_and_block():
    data = b"".join(generated_chunks(3 * MIB + 5, 1))

    assert len(data) == 3 * MIB + 5
    assert data == b"".join(generated_chunks(3 * MIB + 5, 1, chunk_size=4096))
    assert data != b"".join(generated_chunks(3 * MIB + 5, 2))
    assert data[:MIB] != data[MIB : 2 * MIB], "no two blocks of a file are alike"
    assert hashlib.sha256(data).hexdigest() == generated_sha256(3 * MIB + 5, 1)
    assert b"".join(generated_chunks(0, 1)) == b""


def test_a_text_file_downloads_as_utf8(serve):
    _, files = serve(notebook={"files": {f"{DIR}/é.txt": "héllo"}})

    response = files.download(f"{DIR}/é.txt")

    assert response.content == "héllo".encode()
    assert response.headers["Content-Length"] == "6"
    assert (
        response.headers["Content-Disposition"]
        == "attachment; filename=\"_.txt\"; filename*=UTF-8''%C3%A9.txt"
    )


def test_content_length_off_sends_the_file_chunked(serve):
    _, files = serve(file_content_length=False)

    response = files.download(f"{DIR}/big.bin", stream=True)

    assert "Content-Length" not in response.headers
    assert response.headers["Transfer-Encoding"] == "chunked"
    assert _sha256(response) == generated_sha256(64 * MIB, 7)


def test_a_missing_file_is_404_and_a_folder_is_not_a_file(serve):
    _, files = serve()

    missing = files.download(f"{DIR}/nope.csv")
    folder = files.download(f"{DIR}/nested")

    assert (missing.status_code, missing.json()) == (404, {"error": f"File not found: {DIR}/nope.csv"})
    assert (folder.status_code, folder.json()) == (400, {"error": f"Not a file: {DIR}/nested"})


def test_exists_is_true_for_files_and_folders(serve):
    _, files = serve()

    answers = [files.exists(path).json() for path in (f"{DIR}/out.csv", f"{DIR}/nested", f"{DIR}/no")]

    assert answers == [{"exists": True}, {"exists": True}, {"exists": False}]


@pytest.mark.parametrize("path", ["", "/etc/passwd", "../secret", f"{DIR}/../../x", "a\0b", "./"])
@pytest.mark.parametrize("endpoint", ["files", "file", "file/exists", "file/delete"])
def test_invalid_paths_are_400(serve, endpoint, path):
    _, files = serve()
    key = "directory" if endpoint == "files" else "filePath"

    response = files.post(endpoint, {"notebookId": files.ref, key: path})

    assert response.status_code == 400
    assert response.json()["error"].startswith("Invalid path: ")


def test_an_upload_is_stored_streamed_and_served_back(emulator_files_upload):
    emulator, files, data = emulator_files_upload

    assert files.names("data/notebook_files/new") == ["blob.bin"]
    response = files.download("data/notebook_files/new/blob.bin", stream=True)
    assert _sha256(response) == hashlib.sha256(data).hexdigest()
    [entry] = emulator.requests(path_contains="/file/upload")
    assert entry.status == 200
    assert entry.query == "ownerId=o&notebookId=nb&directory=data/notebook_files/new"
    assert entry.body == {
        "query": {"ownerId": "o", "notebookId": "nb", "directory": "data/notebook_files/new"},
        "file": {"name": "blob.bin", "size": len(data), "sha256": hashlib.sha256(data).hexdigest()},
    }


@pytest.fixture
def emulator_files_upload(serve, tmp_path):
    """An emulator after a 50 MiB upload to ``data/notebook_files/new``, streamed; the bytes uploaded."""
    from requests_toolbelt import MultipartEncoder

    emulator, files = serve()
    data = b"".join(generated_chunks(50 * MIB, 11))
    source = tmp_path / "blob.bin"
    source.write_bytes(data)
    query = {"ownerId": "o", "notebookId": "nb", "directory": "data/notebook_files/new"}
    tracemalloc.start()
    try:
        with source.open("rb") as handle:
            body = MultipartEncoder({"file": ("blob.bin", handle, "application/octet-stream")})
            headers = {**files.api.headers, "Content-Type": body.content_type}
            url = f"{files.api.base}/api/notebook/v1/file/upload"
            response = files.api.session.post(url, params=query, data=body, headers=headers, timeout=60)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert (response.status_code, response.json()) == (200, {"fileName": "blob.bin", "status": "uploaded"})
    assert peak < 16 * MIB, f"server and client together peaked at {peak / MIB:.1f} MiB for a 50 MiB upload"
    return emulator, files, data


def test_an_upload_replaces_a_file_and_a_delete_removes_it(serve):
    _, files = serve()
    assert files.upload(DIR, "out.csv", b"new").status_code == 200
    assert files.download(f"{DIR}/out.csv").content == b"new"

    response = files.delete(f"{DIR}/out.csv")

    assert (response.status_code, response.content) == (204, b"")
    assert files.exists(f"{DIR}/out.csv").json() == {"exists": False}
    again = files.delete(f"{DIR}/out.csv")
    assert (again.status_code, again.json()) == (404, {"error": f"File not found: {DIR}/out.csv"})


def test_deleting_a_folder_deletes_what_is_below_it(serve):
    _, files = serve()

    assert files.delete(f"{DIR}/nested").status_code == 204

    assert files.exists(f"{DIR}/nested/deep.txt").json() == {"exists": False}
    assert "nested" not in files.names()


@pytest.mark.parametrize(
    ("query", "error"),
    [
        ({"ownerId": "o", "notebookId": "nb"}, "Missing required query parameter 'directory'"),
        ({"ownerId": "o", "notebookId": "nb", "directory": DIR, "x": "1"}, "Unknown query parameter 'x'"),
        ({"ownerId": "o", "notebookId": "nb", "directory": "../up"}, "Invalid path: '../up'"),
    ],
)
def test_a_bad_upload_query_is_400(serve, query, error):
    _, files = serve()
    url = f"{files.api.base}/api/notebook/v1/file/upload"

    response = files.api.session.post(
        url, params=query, files={"file": ("a", b"x")}, headers=files.api.headers
    )

    assert response.status_code == 400
    assert response.json()["error"].startswith(error)


@pytest.mark.parametrize(("name", "status"), [("..", 400), ("a\\b", 200), ("ok.txt", 200)])
def test_an_uploads_file_name_must_be_a_plain_name(serve, name, status):
    _, files = serve()

    assert files.upload(DIR, name, b"x").status_code == status


def test_an_upload_needs_multipart_and_a_file_field(serve):
    _, files = serve()
    query = {"ownerId": "o", "notebookId": "nb", "directory": DIR}
    url = f"{files.api.base}/api/notebook/v1/file/upload"

    as_json = files.api.session.post(url, params=query, json={"x": 1}, headers=files.api.headers)
    no_file = files.api.session.post(
        url, params=query, files={"other": ("a", b"x")}, headers=files.api.headers
    )

    assert (as_json.status_code, as_json.json()) == (
        415,
        {"error": "Content-Type must be multipart/form-data"},
    )
    assert (no_file.status_code, no_file.json()) == (400, {"error": "Missing multipart field 'file'"})


def test_a_viewer_reads_but_cannot_upload_or_delete(serve):
    emulator, files = serve(token="viewer")
    refused = {"error": "You have view-only access to notebook o/nb"}

    assert files.list().status_code == 200
    assert files.download(f"{DIR}/out.csv").content == b"a,b\n1,2\n"
    upload, delete = files.upload(DIR, "x.txt", b"x"), files.delete(f"{DIR}/out.csv")
    assert [(upload.status_code, upload.json()), (delete.status_code, delete.json())] == [(403, refused)] * 2
    assert emulator.requests(path_contains="/file/upload")[0].body is None, "no file was received"


def test_a_notebook_the_token_does_not_see_is_404(serve, files_for):
    emulator, _ = serve()
    other = files_for(emulator, "t", "o/unknown")

    response = other.list()

    assert (response.status_code, response.json()) == (
        404,
        {"error": "Notebook o/unknown is not shared with you or does not exist"},
    )


def test_a_successful_run_writes_its_files(serve, client_for):
    writes = {f"{DIR}/result.csv": "a,b\n1,2\n", f"{DIR}/gen/big.bin": {"size": 3 * MIB, "seed": 9}}
    emulator, files = serve(notebook={"run_writes": writes})
    run = client_for(emulator, "t")
    run_id = run.start_id(NB)
    assert files.exists(f"{DIR}/result.csv").json() == {"exists": False}, "not before the run finishes"

    assert run.status(run_id).json()["success"] is True

    assert files.download(f"{DIR}/result.csv").content == b"a,b\n1,2\n"
    assert _sha256(files.download(f"{DIR}/gen/big.bin", stream=True)) == generated_sha256(3 * MIB, 9)


def test_a_failed_run_writes_nothing(serve, client_for):
    emulator, files = serve(notebook={"outcome": "failure", "run_writes": {f"{DIR}/result.csv": "x"}})
    run = client_for(emulator, "t")

    assert run.status(run.start_id(NB)).json()["success"] is False

    assert files.exists(f"{DIR}/result.csv").json() == {"exists": False}


@pytest.mark.parametrize("served", [True, False])
def test_a_runs_artifact_through_file_as_the_setting_says(serve, client_for, served):
    emulator, files = serve(artifacts_in_files=served)
    run = client_for(emulator, "t")
    run_id = run.start_id(NB)
    [artifact] = run.status(run_id).json()["artifacts"]
    assert artifact["path"] == f"/notebook/{NB}/artifacts/{run_id}/nb.ipynb"

    response = files.download(artifact["path"])
    exists = files.exists(artifact["path"]).json()

    if served:
        assert response.status_code == 200
        assert response.headers["Content-Disposition"] == 'attachment; filename="nb.ipynb"'
        assert response.json()["metadata"]["datalore_emulator"]["run_id"] == run_id
        assert exists == {"exists": True}
    else:
        assert (response.status_code, response.json()) == (
            404,
            {"error": f"File not found: {artifact['path']}"},
        )
        assert exists == {"exists": False}
    other_run = f"/notebook/{NB}/artifacts/not-a-run/nb.ipynb"
    assert files.download(other_run).status_code == 404, "an artifact path of no run is 404, not 400"
