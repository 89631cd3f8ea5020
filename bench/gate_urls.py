"""The project's URLs plus /bench-hello/: a hello-world view through the same middleware,
the baseline the verify API is compared with in bench/gate_verify.py."""

from django.http import JsonResponse
from django.urls import path

from config.urls import urlpatterns as project_urls


def hello(request):
    return JsonResponse({"hello": "world"})


urlpatterns = [path("bench-hello/", hello), *project_urls]
