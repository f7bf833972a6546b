"""Default content of a CPTS's site, written by the platform team.

This migration runs in the template schema (cloned into every new CPTS, so a new CPTS has a
complete site without any manual step) and in every CPTS schema that existed before it. It only
adds content to an empty site, so it never overwrites what a team wrote. See docs/site.md.
"""

from django.db import migrations

TAGLINE = "Une association pluriprofessionnelle portée par et pour les professionnels de santé du territoire."

INTRO = (
    "<p>La Communauté Professionnelle Territoriale de Santé réunit les professionnels de santé de notre "
    "territoire, libéraux comme salariés, autour d'un même projet : mieux s'organiser ensemble pour que "
    "chaque habitant soit soigné au bon endroit, au bon moment.</p>"
)

JOIN_CALL = (
    "<p>Vous exercez sur le territoire, en libéral ou en structure ? Rejoignez la CPTS. Vous choisissez "
    "votre degré d'implication : suivre nos actualités, participer à un groupe de travail ou en prendre "
    "l'animation. Chaque voix compte pour faire évoluer l'organisation des soins.</p>"
)

MISSIONS = [
    (
        "Faciliter l'exercice au quotidien",
        "<p>Installation, remplacements, départ à la retraite, périodes de surcharge : la CPTS accompagne "
        "les professionnels à chaque étape, avec des outils concrets, des temps d'échange et des formations "
        "pensées à partir du terrain.</p>",
    ),
    (
        "Relier les professions",
        "<p>Médecins, infirmiers, pharmaciens, kinésithérapeutes, sages-femmes, travailleurs sociaux… "
        "Groupes de travail pluriprofessionnels, rencontres et outils partagés : se connaître pour construire "
        "des parcours de soins sans rupture, centrés sur le patient.</p>",
    ),
    (
        "Garantir l'accès aux soins",
        "<p>Aider chaque habitant à trouver un médecin traitant, obtenir un rendez-vous sous 24 à 48 heures "
        "quand son état le demande sans passer par les urgences, être orienté vers le bon professionnel : "
        "c'est la première mission de la CPTS.</p>",
    ),
    (
        "Mutualiser les compétences et innover",
        "<p>Prévention, qualité des soins, réponse aux crises sanitaires, santé environnementale : la CPTS "
        "fait émerger des projets collectifs, les expérimente, les évalue et partage ce qui fonctionne.</p>",
    ),
]

FAQ = [
    (
        "Qu'est-ce qu'une CPTS ?",
        "<p>Une Communauté Professionnelle Territoriale de Santé regroupe, sur la base du volontariat, les "
        "professionnels de santé d'un territoire : médecins généralistes et spécialistes, infirmiers, "
        "pharmaciens, masseurs-kinésithérapeutes, orthophonistes, sages-femmes, psychologues, chirurgiens-"
        "dentistes, mais aussi travailleurs sociaux et structures médico-sociales. Prévues par la loi de "
        "2016 et renforcées depuis, les CPTS sont le plus souvent des associations loi 1901.</p>"
        "<p>Après un diagnostic du territoire, leurs membres écrivent un <strong>projet de santé</strong> qui "
        "fixe leurs priorités ; il est validé par l'Agence régionale de santé (ARS) et l'Assurance "
        "Maladie.</p>",
    ),
    (
        "Une CPTS soigne-t-elle des patients ?",
        "<p>Non. Contrairement à une maison de santé pluriprofessionnelle ou à un centre de santé, la CPTS ne "
        "délivre pas de soins : elle <strong>organise et coordonne</strong> ceux que les professionnels du "
        "territoire délivrent déjà, pour qu'ils soient plus accessibles et mieux articulés.</p>",
    ),
    (
        "Qui peut adhérer ?",
        "<p>Peuvent adhérer :</p><ul>"
        "<li>les professionnels de santé en exercice libéral, titulaires comme remplaçants ;</li>"
        "<li>les professionnels de santé salariés d'un établissement ou d'une structure médico-sociale ou "
        "sociale ;</li>"
        "<li>les associations du domaine sanitaire et médico-social.</li></ul>"
        "<p>Les conditions exactes figurent dans les statuts de l'association.</p>",
    ),
    (
        "Combien coûte l'adhésion et combien de temps est-elle valable ?",
        "<p>Le montant de la cotisation est fixé chaque année par l'association et se règle en ligne par carte "
        "bancaire. L'adhésion vaut pour l'année civile en cours, du 1<sup>er</sup> janvier au 31 décembre à "
        "minuit, quelle que soit la date à laquelle vous adhérez.</p>"
        "<p>Pour un professionnel libéral, la cotisation est déductible du chiffre d'affaires : un reçu vous "
        "est remis après le paiement.</p>",
    ),
    (
        "Comment la CPTS est-elle financée ?",
        "<p>Par l'accord conventionnel interprofessionnel (ACI) signé en 2019 : un contrat de cinq ans entre "
        "la CPTS, l'ARS et l'Assurance Maladie. Le financement dépend de la population du territoire et des "
        "missions engagées ; une partie n'est versée que si les objectifs fixés, mesurés par des indicateurs, "
        "sont atteints. Les comptes sont présentés chaque année aux adhérents en assemblée générale.</p>",
    ),
    (
        "La CPTS est-elle imposée par l'ARS et la CPAM ?",
        "<p>Non. Une CPTS naît de l'initiative de professionnels du territoire et repose sur le volontariat. "
        "L'ARS et l'Assurance Maladie valident le projet de santé et le financent, mais ce sont les membres qui "
        "choisissent les sujets, les actions et la manière de les mener. Vos propositions sont les "
        "bienvenues.</p>",
    ),
    (
        "Je manque de temps : puis-je participer quand même ?",
        "<p>Oui. Chacun choisit son degré d'implication : recevoir les informations, venir à une rencontre, "
        "rejoindre un groupe de travail ou en animer un. Les temps de travail collectif sont organisés pour "
        "être utiles et conviviaux, et certaines participations peuvent être indemnisées.</p>",
    ),
    (
        "La CPTS prend-elle des positions politiques ?",
        "<p>Non. L'association est indépendante et apolitique. Elle travaille avec tous les partenaires du "
        "territoire (collectivités, établissements, institutions) pour adapter l'organisation des soins aux "
        "besoins locaux.</p>",
    ),
    (
        "Je suis patient : que peut faire la CPTS pour moi ?",
        "<p>La CPTS travaille à ce que chaque habitant trouve un médecin traitant et puisse obtenir un "
        "rendez-vous rapide quand son état le demande, et elle mène des actions de prévention. Elle ne remplace "
        "pas les secours : en cas d'urgence vitale, appelez le <strong>15</strong> ou le <strong>112</strong> "
        "(voir la page des numéros d'urgence).</p>",
    ),
    (
        "Comment proposer une idée ou signaler une erreur ?",
        "<p>Utilisez la boîte à idées ou le formulaire de contact du site : chaque message est lu par "
        "l'équipe de coordination.</p>",
    ),
]

PAGES = [
    {
        "slug": "la-cpts",
        "title": "La CPTS",
        "menu": "main",
        "position": 1,
        "is_published": True,
        "summary": "Qui nous sommes, ce que fait la CPTS et comment elle est organisée.",
        "body": (
            "<p>Notre Communauté Professionnelle Territoriale de Santé est une association de professionnels de "
            "santé du territoire. Elle n'a pas vocation à soigner à la place de quiconque, mais à "
            "<strong>coordonner l'existant</strong> et à lancer des projets collectifs avec tous les acteurs : "
            "professionnels libéraux et hospitaliers, structures médico-sociales, associations, élus et "
            "institutions.</p>"
            "<h2>Ce que nous faisons</h2><ul>"
            "<li>Favoriser l'accès à un médecin traitant et aux soins non programmés ;</li>"
            "<li>Construire des parcours pluriprofessionnels sans rupture ;</li>"
            "<li>Mener des actions de prévention adaptées aux besoins du territoire ;</li>"
            "<li>Préparer la réponse aux crises sanitaires ;</li>"
            "<li>Soutenir les professionnels et rendre le territoire attractif pour ceux qui souhaitent "
            "s'y installer.</li></ul>"
            "<h2>Comment nous fonctionnons</h2>"
            "<p>L'assemblée générale des adhérents élit un conseil d'administration et un bureau. Une équipe de "
            "coordination anime les groupes de travail et fait le lien avec nos partenaires, dont l'Agence "
            "régionale de santé et l'Assurance Maladie.</p>"
        ),
    },
    {
        "slug": "projet-de-sante",
        "title": "Notre projet de santé",
        "menu": "main",
        "position": 2,
        "is_published": True,
        "summary": "Le projet de santé de la CPTS en bref : ses axes et ses engagements.",
        "body": (
            "<p>Notre projet de santé est né d'un diagnostic du territoire : ses habitants, leurs besoins, "
            "l'offre de soins disponible et ses fragilités. Validé par l'ARS et l'Assurance Maladie, il est "
            "révisé au fil du temps avec les adhérents.</p>"
            "<h2>Les missions socles</h2><ul>"
            "<li><strong>Accès aux soins</strong> : trouver un médecin traitant, organiser les soins non "
            "programmés ;</li>"
            "<li><strong>Parcours pluriprofessionnels</strong> : mieux articuler ville, hôpital et "
            "médico-social autour du patient ;</li>"
            "<li><strong>Prévention</strong> : des actions concrètes sur les priorités de santé du "
            "territoire ;</li>"
            "<li><strong>Crises sanitaires</strong> : savoir se mobiliser vite en cas d'épidémie ou "
            "d'événement grave.</li></ul>"
            "<h2>Les missions complémentaires</h2>"
            "<p>Qualité et pertinence des soins, accompagnement des professionnels du territoire.</p>"
        ),
    },
    {
        "slug": "bureau",
        "title": "Le bureau",
        "menu": "main",
        "position": 3,
        "is_published": False,
        "summary": "Les membres du bureau et du conseil d'administration de l'association.",
        "body": (
            "<p>Présentez ici les membres du bureau (présidence, trésorerie, secrétariat) et du conseil "
            "d'administration, avec leur profession et leur lieu d'exercice.</p>"
        ),
    },
    {
        "slug": "partenaires",
        "title": "Nos partenaires",
        "menu": "main",
        "position": 4,
        "is_published": False,
        "summary": "Les partenaires de la CPTS sur le territoire.",
        "body": (
            "<p>Agence régionale de santé, Assurance Maladie, hôpitaux et cliniques, établissements "
            "médico-sociaux, communes et intercommunalités, associations de patients, dispositif d'appui à la "
            "coordination… Présentez ici les partenaires avec lesquels la CPTS travaille.</p>"
        ),
    },
    {
        "slug": "mentions-legales",
        "title": "Mentions légales",
        "menu": "footer",
        "position": 1,
        "is_published": True,
        "summary": "Éditeur, directeur de la publication et hébergeur du site.",
        "body": (
            "<h2>Éditeur</h2><p>Ce site est édité par l'association qui porte la Communauté Professionnelle "
            "Territoriale de Santé dont le nom figure en tête de page (association loi 1901). Ses coordonnées "
            "figurent en pied de page.</p>"
            "<h2>Directeur de la publication</h2><p>Le président ou la présidente de l'association.</p>"
            "<h2>Hébergement</h2><p>Le site est hébergé par la plateforme CPTS, sur des serveurs situés dans "
            "l'Union européenne.</p>"
            "<h2>Contenus</h2><p>Les textes sont rédigés par l'équipe de la CPTS. Pour signaler une erreur, "
            "utilisez le formulaire de contact.</p>"
        ),
    },
    {
        "slug": "donnees-personnelles",
        "title": "Données personnelles",
        "menu": "footer",
        "position": 2,
        "is_published": True,
        "summary": "Quelles données le site conserve, pourquoi, combien de temps, et vos droits.",
        "body": (
            "<p>Le site ne dépose aucun cookie de mesure d'audience ni de publicité. Un cookie de session "
            "n'est utilisé que lorsque vous vous connectez à votre espace.</p>"
            "<h2>Formulaire de contact et boîte à idées</h2><p>Votre nom, votre adresse e-mail et votre "
            "message servent uniquement à vous répondre et à suivre votre demande. Seule l'équipe de la CPTS "
            "y a accès ; ils ne sont ni cédés ni utilisés à d'autres fins.</p>"
            "<h2>Adhérents</h2><p>Les données d'adhésion servent à la gestion de l'association (cotisations, "
            "reçus, convocations) et ne sont jamais cédées.</p>"
            "<h2>Vos droits</h2><p>Vous pouvez accéder à vos données, les faire rectifier ou effacer, et vous "
            "opposer à leur traitement en nous écrivant par le formulaire de contact. Vous pouvez aussi saisir "
            "la CNIL (cnil.fr).</p>"
        ),
    },
]

# CPTS.md §6: national numbers. (category, number, label, description)
NUMBERS = [
    ("emergency", "15", "SAMU", "Urgence médicale, détresse vitale."),
    ("emergency", "17", "Police et gendarmerie", "Danger immédiat, intervention urgente."),
    ("emergency", "18", "Sapeurs-pompiers", "Incendie, accident, secours à personne."),
    ("emergency", "112", "Numéro d'urgence européen", "Depuis tout téléphone, partout dans l'Union européenne."),
    (
        "emergency",
        "114",
        "Urgences pour les personnes sourdes ou malentendantes",
        "Par SMS ou fax, pour joindre le SAMU, la police ou les pompiers.",
    ),
    ("useful", "116 117", "Médecin de garde", "Le soir, la nuit et le week-end, quand les cabinets sont fermés."),
    ("useful", "3237", "Pharmacies de garde", "Pour trouver la pharmacie de garde la plus proche."),
    ("useful", "3114", "Prévention du suicide", "Écoute professionnelle, 24 h/24, gratuit."),
    ("useful", "3919", "Violences faites aux femmes", "Écoute et orientation, gratuit et anonyme."),
    ("useful", "119", "Enfance en danger", "24 h/24, gratuit."),
]


def seed(apps, schema_editor):
    SiteSettings = apps.get_model("site", "SiteSettings")
    Mission = apps.get_model("site", "Mission")
    FaqItem = apps.get_model("site", "FaqItem")
    Page = apps.get_model("site", "Page")
    EmergencyNumber = apps.get_model("site", "EmergencyNumber")

    SiteSettings.objects.get_or_create(pk=1, defaults={"tagline": TAGLINE, "intro": INTRO, "join_call": JOIN_CALL})
    if not Mission.objects.exists():
        Mission.objects.bulk_create(
            Mission(position=i, title=title, body=body) for i, (title, body) in enumerate(MISSIONS, start=1)
        )
    if not FaqItem.objects.exists():
        FaqItem.objects.bulk_create(
            FaqItem(position=i, question=q, answer=a, is_published=True) for i, (q, a) in enumerate(FAQ, start=1)
        )
    existing = set(Page.objects.values_list("slug", flat=True))
    Page.objects.bulk_create(Page(**page) for page in PAGES if page["slug"] not in existing)
    if not EmergencyNumber.objects.filter(is_national=True).exists():
        EmergencyNumber.objects.bulk_create(
            EmergencyNumber(
                category=category,
                number=number,
                label=label,
                description=description,
                position=i,
                is_national=True,
                is_visible=True,
            )
            for i, (category, number, label, description) in enumerate(NUMBERS, start=1)
        )


class Migration(migrations.Migration):
    dependencies = [("site", "0001_initial")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
