from django.urls import path

from apps.inventory import views

app_name = "inventory"
urlpatterns = [
    path("lots/", views.lot_list, name="lot-list"),
    path("lots/receive/", views.lot_receive, name="lot-receive"),
    path("lots/usable/", views.lot_options, name="lot-options"),
    path("lots/<int:pk>/", views.lot_detail, name="lot-detail"),
    path("lots/<int:pk>/edit/", views.lot_edit, name="lot-edit"),
    path("lots/<int:pk>/stock/", views.lot_stock_change, name="lot-stock-change"),
    path("lots/<int:pk>/status/", views.lot_status, name="lot-status"),
    path("products/", views.product_list, name="product-list"),
    path("products/add/", views.product_add, name="product-add"),
    path("products/<int:pk>/edit/", views.product_edit, name="product-edit"),
    path("manufacturers/add/", views.manufacturer_add, name="manufacturer-add"),
    path("manufacturers/<int:pk>/edit/", views.manufacturer_edit, name="manufacturer-edit"),
]
