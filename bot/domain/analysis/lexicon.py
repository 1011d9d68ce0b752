"""A small bilingual bridge for theme key terms: the words of a company conversation that French
and English posts use for the same thing ("delivery" and "livraison", "recall" and "rappel").

Data only. Each line: the canonical word (one word, French) then its synonyms and inflections,
French or English, separated by spaces; "_" joins the words of a two-word phrase. Words are
matched folded and stemmed (see `_text.stem`), so "batterie" already meets "battery" and "prix"
meets "prix". Keep it to the domain vocabulary: a wrong entry merges two themes everywhere.
"""

from __future__ import annotations

SYNONYMS = """
livraison delivery deliveries delivered deliver shipping shipped shipment livré livrée livrés
commande order ordered orders commandé commandée
transporteur courier carrier
retard late delay delayed delays retardé
batterie battery batteries
autonomie range
recharge charge charging charger recharger
appli app apps application
bug bugs buggy
sav support after-sales customer_service customer_support service_client service_après-vente
réparation repair repaired repairs réparé réparée
remboursement refund refunded rembourser remboursé
garantie warranty
prix price prices pricing tarif tarifs
cher expensive pricey
promo promotion promotions discount discounts réduction
rappel recall recalls recalled
incendie incendies fire fires blaze
sécurité safety safe
danger dangerous dangereux dangereuse
enquête investigation investigations
pdg ceo
bourse stock
lancement launch launched launches lancé lancée
vol theft stolen volé volée
moteur motor
freins brakes brake frein
pluie rain
vélo bike bikes vélos
concurrent competitor competitors concurrents
"""


def synonym_lines() -> list[list[str]]:
    """The table as lists of words: the canonical form first; "_" stands for a space."""
    return [[w.replace("_", " ") for w in line.split()] for line in SYNONYMS.splitlines() if line]
