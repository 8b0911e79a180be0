from django.urls import path

from messaging import views

app_name = "messaging"

urlpatterns = [
    path("messages/", views.message_list, name="message_list"),
]
