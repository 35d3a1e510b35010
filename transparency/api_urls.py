from django.urls import path

from transparency import api

urlpatterns = [
    path("rounds/<int:round_id>/transcript/", api.TranscriptView.as_view(), name="round-transcript"),
    path("rounds/<int:round_id>/transcript/proofs/", api.MyProofsView.as_view(), name="round-transcript-proofs"),
    path("transparency/key/", api.KeyView.as_view(), name="transparency-key"),
    path("transparency/anchors/", api.AnchorsView.as_view(), name="transparency-anchors"),
]
