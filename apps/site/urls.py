"""URLs of a CPTS's public site and its team space (included from cpts_platform/urls_tenant.py)."""

from django.urls import path, re_path

from . import team_views, views

app_name = "site"
urlpatterns = [
    path("pages/<slug:slug>/", views.page, name="page"),
    path("actualites/", views.news_list, name="news_list"),
    path("actualites/<slug:slug>/", views.news_detail, name="news_detail"),
    path("faq/", views.faq, name="faq"),
    path("urgences/", views.emergency_numbers, name="emergency"),
    path("contact/", views.visitor_message, {"kind": "contact"}, name="contact"),
    path("boite-a-idees/", views.visitor_message, {"kind": "idea"}, name="idea_box"),
    path("contact/merci/", views.message_sent, {"kind": "contact"}, name="contact_sent"),
    path("boite-a-idees/merci/", views.message_sent, {"kind": "idea"}, name="idea_sent"),
    path("robots.txt", views.robots_txt, name="robots"),
    path("sitemap.xml", views.sitemap_xml, name="sitemap"),
    path("favicon.ico", views.favicon, name="favicon"),
    path(views.media_url_pattern(), views.site_file, name="file"),
    # Espace équipe
    path("equipe/site/", team_views.dashboard, name="team_dashboard"),
    path("equipe/site/images/", team_views.image_upload, name="team_image_upload"),
    path("equipe/site/identite/", team_views.branding, name="team_branding"),
    path("equipe/site/missions/", team_views.missions, name="team_missions"),
    path("equipe/site/missions/<int:pk>/", team_views.mission_edit, name="team_mission_edit"),
    path("equipe/site/pages/", team_views.pages, name="team_pages"),
    path("equipe/site/pages/nouvelle/", team_views.page_edit, name="team_page_new"),
    path("equipe/site/pages/<int:pk>/", team_views.page_edit, name="team_page_edit"),
    path("equipe/site/pages/<int:pk>/supprimer/", team_views.page_delete, name="team_page_delete"),
    path("equipe/site/faq/", team_views.faq, name="team_faq"),
    path("equipe/site/faq/nouvelle/", team_views.faq_edit, name="team_faq_new"),
    path("equipe/site/faq/<int:pk>/", team_views.faq_edit, name="team_faq_edit"),
    re_path(
        r"^equipe/site/faq/(?P<pk>[0-9]+)/(?P<direction>monter|descendre)/$",
        team_views.faq_move,
        name="team_faq_move",
    ),
    path("equipe/site/faq/<int:pk>/supprimer/", team_views.faq_delete, name="team_faq_delete"),
    path("equipe/site/actualites/", team_views.news, name="team_news"),
    path("equipe/site/actualites/nouvelle/", team_views.news_edit, name="team_news_new"),
    path("equipe/site/actualites/<int:pk>/", team_views.news_edit, name="team_news_edit"),
    path("equipe/site/actualites/<int:pk>/supprimer/", team_views.news_delete, name="team_news_delete"),
    path("equipe/site/numeros/", team_views.numbers, name="team_numbers"),
    path("equipe/site/numeros/nouveau/", team_views.number_edit, name="team_number_new"),
    path("equipe/site/numeros/<int:pk>/", team_views.number_edit, name="team_number_edit"),
    path("equipe/site/numeros/<int:pk>/supprimer/", team_views.number_delete, name="team_number_delete"),
    path("equipe/site/messages/", team_views.inbox, name="team_inbox"),
    path("equipe/site/messages/<int:pk>/", team_views.message_detail, name="team_message"),
]
