"""The floor: a bare WSGI callable answering the hello line, nothing else."""

BODY = b"Hello, Wilkommen, Phred !!\n"
HEADERS = [("Content-Type", "text/plain; charset=UTF-8"),
           ("Content-Length", str(len(BODY)))]


def application(environ, start_response):
    start_response("200 OK", HEADERS)
    return [BODY]
