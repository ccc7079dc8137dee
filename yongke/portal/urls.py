from django.urls import path

from yongke.portal import views

app_name = "portal"
urlpatterns = [
    path("", views.guide_index, name="guide_index"),
    path("guide/<str:label>/r<int:revision>/directions/<str:code>/", views.direction_detail, name="direction_detail"),
]
