"""Authorization packages: evidence assembled from stored records, rendered as a Da Vinci PAS
request bundle and a PDF packet."""
