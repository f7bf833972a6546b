"""Texts and people of the two demo CPTS. Everything here is invented except the communes (real
INSEE codes of the shipped reference): the Sullias on the Loire (Loiret) for the Val de Morelle,
the Figeac area between Lot, Célé and Drauze (Lot) for the Trois Rivières."""

from __future__ import annotations

# (e-mail, first name, last name, profession label, profession code, eligibility category) of members other than
# the demo accounts printed by `make run`; they share the demo password.
EXTRA_MEMBERS = {
    "val-de-morelle": [
        ("h.rigal@val-de-morelle.test", "Hélène", "Rigal", "Médecin généraliste", "10", "liberal"),
        ("t.gauthier@val-de-morelle.test", "Thomas", "Gauthier", "Pharmacien", "21", "liberal"),
        ("m.lebrun@val-de-morelle.test", "Manon", "Lebrun", "Infirmière", "60", "liberal"),
        ("a.perrot@val-de-morelle.test", "Antoine", "Perrot", "Masseur-kinésithérapeute", "70", "liberal"),
        ("c.vasseur@val-de-morelle.test", "Claire", "Vasseur", "Sage-femme", "50", "liberal"),
        ("b.hamon@val-de-morelle.test", "Bruno", "Hamon", "Chirurgien-dentiste", "40", "liberal"),
        ("l.fontaine@val-de-morelle.test", "Léa", "Fontaine", "Orthophoniste", "91", "liberal"),
        ("y.besnard@val-de-morelle.test", "Yanis", "Besnard", "Infirmier", "60", "replacement"),
        (
            "e.charrier@val-de-morelle.test",
            "Élodie",
            "Charrier",
            "Infirmière coordinatrice",
            "60",
            "salaried",
        ),
        ("p.tessier@val-de-morelle.test", "Pascal", "Tessier", "Médecin généraliste", "10", "liberal"),
    ],
    "trois-rivieres": [
        ("f.delmas@trois-rivieres.test", "Françoise", "Delmas", "Médecin généraliste", "10", "liberal"),
        ("j.couderc@trois-rivieres.test", "Jérôme", "Couderc", "Pharmacien", "21", "liberal"),
        ("a.vidal@trois-rivieres.test", "Aurélie", "Vidal", "Infirmière", "60", "liberal"),
        ("m.lacoste@trois-rivieres.test", "Mathieu", "Lacoste", "Masseur-kinésithérapeute", "70", "liberal"),
        ("s.bousquet@trois-rivieres.test", "Sandrine", "Bousquet", "Sage-femme", "50", "liberal"),
        ("g.lafon@trois-rivieres.test", "Guillaume", "Lafon", "Médecin généraliste", "10", "liberal"),
        ("n.cayrou@trois-rivieres.test", "Nathalie", "Cayrou", "Diététicienne", "86", "liberal"),
        ("r.marty@trois-rivieres.test", "Romain", "Marty", "Infirmier", "60", "liberal"),
        ("c.roques@trois-rivieres.test", "Céline", "Roques", "Assistante sociale", "social", "salaried"),
        ("d.bru@trois-rivieres.test", "David", "Bru", "Pédicure-podologue", "80", "liberal"),
    ],
}
# Where the salaried demo members work.
EMPLOYER = {"val-de-morelle": "CPTS du Val de Morelle", "trois-rivieres": "Maison de santé des Trois Vallées"}
# The member whose dues lapsed (paid last year, not this one).
LAPSED_MEMBER = {
    "val-de-morelle": "p.tessier@val-de-morelle.test",
    "trois-rivieres": "d.bru@trois-rivieres.test",
}

COMMUNES = {
    # The Sullias and the Val de Loire upstream of Orléans: 18 communes, about 24 000 inhabitants.
    "val-de-morelle": [
        "45315", "45297", "45270", "45244", "45051", "45042", "45290", "45122", "45153",
        "45063", "45336", "45164", "45039", "45268", "45340", "45171", "45184", "45277",
    ],
    # Figeac and its surroundings: 16 communes, about 19 000 inhabitants.
    "trois-rivieres": [
        "46102", "46055", "46015", "46175", "46100", "46057", "46021", "46180", "46221",
        "46266", "46053", "46101", "46108", "46332", "46051", "46052",
    ],
}  # fmt: skip

# Fictional numbers (ARCEP ranges for fiction): 02 61 91 xx xx and 05 36 49 xx xx.
PHONE_PREFIX = {"val-de-morelle": "02 61 91", "trois-rivieres": "05 36 49"}
# First digits of the fictional identifiers (a Luhn key is appended).
RPPS_PREFIX = {"val-de-morelle": "1009945", "trois-rivieres": "1009946"}
FINESS_PREFIX = {"val-de-morelle": "45099", "trois-rivieres": "46099"}

FIRST_NAMES = [
    "Agnès", "Alexandre", "Amandine", "Arnaud", "Aurore", "Baptiste", "Bérénice", "Cédric",
    "Chloé", "Christophe", "Delphine", "Damien", "Émilie", "Fabien", "Gaëlle", "Grégoire",
    "Isabelle", "Jean-Marc", "Justine", "Karine", "Laurent", "Lucie", "Marion", "Maxime",
    "Mélanie", "Nicolas", "Océane", "Olivier", "Pauline", "Quentin", "Rachid", "Sabrina",
    "Sébastien", "Solène", "Stéphane", "Valérie", "Vincent", "Virginie", "Xavier", "Zoé",
]  # fmt: skip
LAST_NAMES = {
    "val-de-morelle": [
        "Aubry", "Bouchet", "Chevallier", "Denis", "Foucher", "Gilbert", "Hardy", "Jacquet",
        "Lemaire", "Marchand", "Naudin", "Pelletier", "Renard", "Sauvage", "Thibault", "Vallée",
        "Bourdin", "Carré", "Delorme", "Guérin", "Huet", "Leroux", "Mercier", "Poirier",
        "Rolland", "Tellier", "Baudry", "Colin", "Fleury", "Menard", "Paris", "Royer",
        "Brunet", "Lebon", "Morin", "Prévost", "Charpentier", "Dumont", "Legrand", "Moulin",
    ],
    "trois-rivieres": [
        "Alibert", "Bessières", "Cabrol", "Delpech", "Espinasse", "Fabre", "Gineste", "Issaly",
        "Lacombe", "Maury", "Nouvel", "Pradines", "Rouquié", "Serres", "Teulier", "Valette",
        "Ayroles", "Bouscarel", "Carrière", "Destruel", "Fournié", "Garrigou", "Lagarrigue",
        "Malbec", "Pouget", "Rames", "Souladié", "Trémoulet", "Vaissié", "Albouy", "Bach",
        "Castagné", "Dufour", "Faurie", "Gaston", "Labro", "Mazet", "Pélissié", "Rigal", "Vayssade",
    ],
}  # fmt: skip

STREETS = [
    "place du Marché", "rue des Écoles", "avenue de la Gare", "rue du Moulin", "Grande Rue",
    "rue Pasteur", "chemin des Vignes", "rue de l'Église", "rue du Stade", "allée des Tilleuls",
    "rue Jean-Jaurès", "route de la Forêt", "rue des Jardins", "place de la Mairie",
]  # fmt: skip

# (profession code, label, specialty code, specialty, how many, identifier type)
PROFESSIONS = [
    ("10", "Médecin", "SM53", "Spécialiste en Médecine Générale", 9, "rpps"),
    ("10", "Médecin", "SM40", "Pédiatrie", 1, "rpps"),
    ("10", "Médecin", "SM42", "Psychiatrie", 1, "rpps"),
    ("60", "Infirmier", "", "", 9, "rpps"),
    ("70", "Masseur-Kinésithérapeute", "", "", 5, "rpps"),
    ("21", "Pharmacien", "", "", 4, "rpps"),
    ("40", "Chirurgien-Dentiste", "", "", 3, "rpps"),
    ("50", "Sage-Femme", "", "", 2, "rpps"),
    ("91", "Orthophoniste", "", "", 2, "rpps"),
    ("80", "Pédicure-Podologue", "", "", 1, "rpps"),
    ("93", "Psychologue", "", "", 2, ""),
    ("86", "Diététicien", "", "", 1, ""),
]

# (family, FINESS category code, category label, name, index of the commune in COMMUNES)
STRUCTURES = {
    "val-de-morelle": [
        ("msp", "603", "Maison de santé (L.6223-3)", "Maison de santé pluriprofessionnelle des Bords de Loire", 0),
        ("msp", "603", "Maison de santé (L.6223-3)", "Maison de santé de la Sologne du Nord", 9),
        ("pharmacy", "620", "Pharmacie d'officine", "Pharmacie du Vieux Pont", 0),
        ("pharmacy", "620", "Pharmacie d'officine", "Pharmacie de l'Abbaye", 2),
        ("pharmacy", "620", "Pharmacie d'officine", "Pharmacie des Levées", 3),
        ("retirement", "500", "Établissement d'hébergement pour personnes âgées dépendantes", "EHPAD Les Mariniers", 1),
        ("home_care", "354", "Service de soins infirmiers à domicile", "SSIAD du Sullias", 0),
        ("social", "214", "Centre communal d'action sociale", "Centre intercommunal d'action sociale du Val de Morelle", 0),
    ],
    "trois-rivieres": [
        ("msp", "603", "Maison de santé (L.6223-3)", "Maison de santé des Trois Vallées", 0),
        ("health_centre", "124", "Centre de santé", "Centre de santé infirmier du Ségala", 2),
        ("pharmacy", "620", "Pharmacie d'officine", "Pharmacie du Célé", 0),
        ("pharmacy", "620", "Pharmacie d'officine", "Pharmacie de la Vallée du Lot", 1),
        ("pharmacy", "620", "Pharmacie d'officine", "Pharmacie des Causses", 3),
        ("retirement", "500", "Établissement d'hébergement pour personnes âgées dépendantes", "EHPAD La Drauze", 1),
        ("home_care", "354", "Service de soins infirmiers à domicile", "SSIAD du Pays de Figeac", 0),
        ("disability", "246", "Établissement et service d'aide par le travail", "ESAT Les Ateliers du Causse", 4),
    ],
}  # fmt: skip

NEWS = {
    "val-de-morelle": [
        (
            "Un numéro unique pour les soins non programmés",
            "Depuis le mois dernier, les patients sans réponse de leur médecin peuvent appeler la "
            "permanence de la CPTS, du lundi au samedi.",
            "<p>Les médecins généralistes du territoire réservent chaque jour des créneaux aux "
            "demandes de soins non programmés. La permanence téléphonique de la CPTS oriente les "
            "patients vers le cabinet disponible le plus proche, ou vers la pharmacie pour les "
            "demandes qui relèvent d'un protocole de coopération.</p><p>Ce dispositif ne remplace "
            "pas le 15 : en cas d'urgence vitale, appelez le SAMU.</p>",
            6,
        ),
        (
            "Bienvenue aux nouveaux installés",
            "Trois professionnels ont rejoint le territoire cet automne : une orthophoniste à "
            "Saint-Benoît-sur-Loire, un masseur-kinésithérapeute et une sage-femme à Sully-sur-Loire.",
            "<p>La CPTS accompagne chaque nouvel installé : présentation aux confrères, aide aux "
            "démarches, mise en relation avec les structures du territoire. Vous envisagez de vous "
            "installer ? Écrivez-nous, nous organisons volontiers une visite.</p>",
            20,
        ),
        (
            "Campagne de vaccination antigrippale : les pharmacies et les cabinets mobilisés",
            "Infirmiers, pharmaciens, sages-femmes et médecins vaccinent jusqu'à la fin de janvier.",
            "<p>La liste des lieux de vaccination du territoire est disponible dans l'annuaire. Les "
            "personnes âgées de 65 ans et plus et les personnes à risque reçoivent un bon de prise "
            "en charge de l'Assurance Maladie.</p>",
            35,
        ),
    ],
    "trois-rivieres": [
        (
            "Parcours insuffisance cardiaque : le premier bilan",
            "Un an après son lancement, le parcours a suivi 64 patients entre l'hôpital et la ville.",
            "<p>Infirmiers libéraux, pharmaciens et médecins traitants partagent désormais une "
            "fiche de suivi commune à la sortie d'hospitalisation. Les réhospitalisations à trente "
            "jours ont nettement diminué chez les patients suivis.</p>",
            4,
        ),
        (
            "Une sage-femme s'installe à Bagnac-sur-Célé",
            "La maison de santé accueille une nouvelle sage-femme, qui assure aussi le suivi "
            "gynécologique de prévention.",
            "<p>Consultations sur rendez-vous du mardi au vendredi, visites à domicile après "
            "l'accouchement dans tout le territoire de la CPTS.</p>",
            18,
        ),
        (
            "Assemblée générale : le bureau renouvelé",
            "Les adhérents ont élu un nouveau bureau et adopté le rapport d'activité de l'année.",
            "<p>Le compte rendu de l'assemblée générale est disponible dans l'espace membres. Merci "
            "aux quarante professionnels présents à la salle des fêtes de Capdenac.</p>",
            40,
        ),
    ],
}

# (number suffix, label, description)
LOCAL_NUMBERS = {
    "val-de-morelle": [
        ("10 15", "Permanence de soins non programmés de la CPTS", "Du lundi au samedi, de 8 h à 20 h"),
        ("10 30", "Maison médicale de garde de Sully-sur-Loire", "Le soir, le week-end et les jours fériés"),
        ("10 45", "Centre médico-psychologique", "Écoute et orientation, adultes et adolescents"),
    ],
    "trois-rivieres": [
        ("20 15", "Permanence de soins non programmés de la CPTS", "Du lundi au vendredi, de 8 h à 19 h"),
        ("20 30", "Maison médicale de garde de Figeac", "Le soir, le week-end et les jours fériés"),
        ("20 45", "Point d'accueil et d'écoute jeunes", "Anonyme et gratuit, pour les 12-25 ans"),
    ],
}

# (title, kind, visibility, days from now, hours long, location, description, registrations)
# registrations: "all" fills the event and leaves two people on the waiting list.
EVENTS = {
    "val-de-morelle": [
        ("Soirée d'accueil des nouveaux installés", "evening", "public", 12, 3,
         "Salle des fêtes, Sully-sur-Loire",
         "Un moment convivial pour accueillir les professionnels installés cette année et faire "
         "connaissance entre métiers du territoire. Buffet offert par la CPTS.", 6),
        ("Formation : plaies chroniques et pansements complexes", "training", "members", 19, 3,
         "Maison de santé des Bords de Loire, Sully-sur-Loire",
         "Formation pluriprofessionnelle animée par une infirmière experte en plaies et "
         "cicatrisation : évaluation, choix des pansements, coordination avec le médecin traitant.",
         "all"),
        ("Réunion d'information : protocoles de coopération en pharmacie", "meeting", "public", 33, 2,
         "Mairie de Saint-Benoît-sur-Loire",
         "Présentation des protocoles cystite et angine : qui peut les appliquer, comment "
         "orienter le patient, comment en rendre compte au médecin traitant.", 4),
        ("Assises de la CPTS du Val de Morelle", "assises", "public", 58, 5,
         "Espace culturel, Ouzouer-sur-Loire",
         "Bilan de l'année, ateliers par mission et vote des priorités du prochain exercice. "
         "Ouvert aux professionnels, aux élus et aux associations d'usagers.", 3),
    ],
    "trois-rivieres": [
        ("Café santé : la prévention des chutes", "evening", "public", 9, 2,
         "Médiathèque de Capdenac",
         "Échanges entre kinésithérapeutes, infirmiers et aidants autour du repérage du risque "
         "de chute et de l'adaptation du logement.", 5),
        ("Formation : gestes et soins d'urgence (AFGSU 2)", "training", "members", 16, 7,
         "Centre de santé infirmier du Ségala, Bagnac-sur-Célé",
         "Deux journées pour acquérir les gestes d'urgence en équipe. Session financée dans le "
         "cadre de la mission accompagnement des professionnels.", "all"),
        ("Réunion d'information : le dispositif d'appui à la coordination", "meeting", "public", 30, 2,
         "Salle du conseil, Figeac",
         "Comment solliciter le DAC pour une situation complexe, et ce que la CPTS peut "
         "prendre en charge elle-même.", 4),
        ("Soirée pluriprofessionnelle : santé mentale des jeunes", "evening", "public", 47, 3,
         "Salle des fêtes, Figeac",
         "Table ronde avec la maison des adolescents, des médecins généralistes et des "
         "psychologues du territoire.", 3),
    ],
}  # fmt: skip

PAST_EVENT = {
    "val-de-morelle": (
        "Atelier : repérage de la fragilité chez la personne âgée", "training", 24,
        "EHPAD Les Mariniers, Saint-Père-sur-Loire",
        "Outils de repérage partagés entre pharmaciens, infirmiers et médecins, et circuit "
        "d'orientation vers l'évaluation gériatrique.",
    ),
    "trois-rivieres": (
        "Soirée d'échanges ville-hôpital", "evening", 21, "Salle polyvalente, Figeac",
        "Sorties d'hospitalisation, lettres de liaison et messagerie sécurisée : ce qui marche, ce "
        "qui bloque.",
    ),
}  # fmt: skip

PROJECT = {
    "val-de-morelle": {
        "axes": {
            "access": (
                "Un médecin traitant et une réponse dans la journée",
                "Organiser les soins non programmés entre cabinets et aider chaque patient sans "
                "médecin traitant, en priorité les patients en affection de longue durée.",
            ),
            "pathways": (
                "Vieillir chez soi en sécurité",
                "Repérer tôt la fragilité des personnes âgées et coordonner infirmiers, "
                "pharmaciens, kinésithérapeutes et aides à domicile autour d'elles.",
            ),
            "prevention": (
                "Dépister et prévenir au plus près des habitants",
                "S'appuyer sur les officines et les cabinets pour les dépistages organisés "
                "et l'activité physique des seniors.",
            ),
            "crisis": (
                "Être prêts en cas de crise",
                "Un plan de réponse aux crises sanitaires graves, tenu à jour avec les "
                "mairies et l'hôpital de référence.",
            ),
        },
        "summary": "Un médecin traitant pour chaque habitant, une réponse aux soins non programmés "
        "dans la journée, des parcours coordonnés pour les personnes âgées à domicile.",
        "diagnosis": "Le territoire compte environ 24 000 habitants sur 18 communes du Val de Loire et "
        "de la Sologne. Un habitant sur quatre a plus de 65 ans. Trois médecins généralistes "
        "partiront à la retraite d'ici trois ans ; près de 2 000 patients n'ont plus de médecin "
        "traitant déclaré.",
        "actions": {
            "access": [
                ("Permanence téléphonique de soins non programmés", "in_progress", 18000),
                ("Recherche d'un médecin traitant pour les patients en ALD", "in_progress", 6000),
            ],
            "pathways": [
                ("Parcours des personnes âgées fragiles à domicile", "in_progress", 12000),
                ("Sortie d'hospitalisation : fiche de liaison partagée", "planned", 3000),
            ],
            "prevention": [
                ("Dépistage du cancer colorectal en officine", "done", 2000),
                ("Ateliers nutrition et activité physique pour les seniors", "planned", 4500),
            ],
            "crisis": [
                ("Plan de réponse aux crises sanitaires graves", "done", 1500),
                ("Annuaire d'astreinte des professionnels en cas de crise", "in_progress", 800),
            ],
        },
    },
    "trois-rivieres": {
        "axes": {
            "access": (
                "Attirer et garder des soignants",
                "Mutualiser les créneaux de soins non programmés et faciliter la venue des "
                "internes, des remplaçants et des jeunes installés.",
            ),
            "pathways": (
                "Des parcours sans rupture entre la ville et l'hôpital",
                "Sortie d'hospitalisation, insuffisance cardiaque et santé mentale des "
                "jeunes : un suivi partagé entre professionnels.",
            ),
            "prevention": (
                "Prévenir les chutes et protéger les plus jeunes",
                "Des actions de prévention menées avec les communes, les collèges et les associations.",
            ),
            "crisis": (
                "Faire face aux canicules et aux épidémies",
                "Un plan de continuité des soins et une liste de patients vulnérables "
                "partagée avec les mairies.",
            ),
        },
        "summary": "Faciliter l'installation des jeunes professionnels, coordonner la sortie "
        "d'hospitalisation et agir tôt sur la santé mentale des jeunes.",
        "diagnosis": "Près de 19 000 habitants vivent à Figeac et dans les communes de sa couronne, "
        "entre le Lot, le Célé et la Drauze. La ville concentre l'offre de soins ; les communes "
        "rurales manquent d'infirmiers et de kinésithérapeutes, et le premier psychiatre est à "
        "une heure de route.",
        "actions": {
            "access": [
                ("Créneaux de soins non programmés mutualisés entre cabinets", "in_progress", 15000),
                ("Accueil et logement des internes et remplaçants", "in_progress", 5000),
            ],
            "pathways": [
                ("Parcours insuffisance cardiaque ville-hôpital", "in_progress", 10000),
                ("Parcours santé mentale des 12-25 ans", "planned", 8000),
            ],
            "prevention": [
                ("Prévention des chutes des plus de 70 ans", "in_progress", 3500),
                ("Vaccination HPV au collège avec les infirmiers scolaires", "planned", 1500),
            ],
            "crisis": [
                ("Plan de continuité en cas de canicule", "done", 1000),
                ("Liste des patients vulnérables partagée avec les mairies", "in_progress", 500),
            ],
        },
    },
}

GROUP = {
    "val-de-morelle": (
        "Personnes âgées à domicile", "pathways",
        "Construire avec les infirmiers, pharmaciens, kinésithérapeutes et le SSIAD un parcours "
        "de repérage et de suivi des personnes âgées fragiles vivant à domicile.",
    ),
    "trois-rivieres": (
        "Santé mentale des jeunes", "pathways",
        "Rapprocher médecins généralistes, psychologues, la maison des adolescents et les "
        "établissements scolaires pour repérer et orienter plus tôt.",
    ),
}  # fmt: skip

SPENDINGS = [
    (40, "4200.00", "operating", "Coordination : temps de coordinatrice (mois précédent)", ""),
    (35, "850.00", "operating", "Location de salles et frais de réunion", "Mairie"),
    (28, "1320.00", "access", "Indemnisation des professionnels de la permanence", ""),
    (15, "640.00", "prevention", "Impression des supports de prévention", "Imprimerie du Centre"),
    (7, "2100.00", "pathways", "Temps de réunion pluriprofessionnelle indemnisé", ""),
]

# One paid training per CPTS (issue 6): shown when card payments work (localstripe in `make run`).
PAID_EVENT = {
    "val-de-morelle": (
        "Formation AFGSU 2 : gestes et soins d'urgence", "training", "public", 26, 7, 45,
        "Centre hospitalier, Gien",
        "Deux demi-journées avec le CESU : urgences vitales et potentielles, risques collectifs. "
        "Attestation délivrée. Le tarif couvre les frais pédagogiques et le déjeuner.",
    ),
    "trois-rivieres": (
        "Assises de la CPTS : parcours de soins en zone rurale", "assises", "public", 40, 6, 20,
        "Espace Mitterrand, Figeac",
        "Une journée pour faire le point sur l'accès aux soins du territoire, avec les élus, l'ARS "
        "et l'Assurance maladie. Le tarif couvre le déjeuner.",
    ),
}  # fmt: skip
