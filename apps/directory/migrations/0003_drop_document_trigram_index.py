from django.db import migrations


class Migration(migrations.Migration):
    """Typos are corrected against the vocabulary table (0002): the trigram index over whole
    documents only slowed imports down."""

    dependencies = [("directory", "0002_search_vocabulary_and_weights")]

    operations = [migrations.RemoveIndex(model_name="entry", name="directory_entry_trgm")]
