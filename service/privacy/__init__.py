"""Personal data: masking (IDs, phones, cards, emails, passports, addresses) and the log
filter that masks every log line."""
