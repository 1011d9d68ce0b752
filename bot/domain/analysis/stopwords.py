"""French and English stop-words for theme key phrases (written with accents; matched folded).

Besides grammatical words, the lists hold the filler of social posts ("lol", "mdr", "rt") and
words too common to name a theme ("faire", "get"). Keep them lowercase.
"""

from __future__ import annotations


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


FRENCH: frozenset[str] = _words(
    """
    a à afin ai aie aient aies ainsi ait alors as assez au aucun aucune aujourd aujourd'hui
    aupara auquel aura aurai auraient aurais aurait auras aurez auriez aurions aurons auront
    aussi autant autre autres aux auxquelles auxquels avaient avais avait avant avec avez aviez
    avions avoir avons ayant ayez ayons bah beaucoup bien bref c ça car ce ceci cela celle
    celles celui cependant certain certaine certaines certains ces cet cette ceux chaque chez
    ci comme comment contre d dans de depuis des desquelles desquels dessous dessus deux doit
    donc dont du duquel durant elle elles en encore entre es est et étaient étais était étant
    été êtes étiez étions être eu eue eues eûmes eurent eus eusse eut eux fais faire fais fait
    faite faites faut font fois furent fus fut grâce hein hier ici il ils j je jusqu jusque l
    la là laquelle le lequel les lesquelles lesquels leur leurs lors lorsqu lorsque lui m ma
    mais me même mêmes mes moi moins mon n ne ni non nos notre nôtre nous on ont ou où oui par
    parce parfois pas pendant peu peut peuvent peux plus plutôt pour pourquoi pourtant puis
    puisqu puisque qu quand que quel quelle quelles quels qui quoi s sa sans se sera serai
    seraient serais serait seras serez seriez serions serons seront ses si sien sienne soi
    soient sois soit sommes son sont sous soyez soyons suis sur t ta tant te tes toi ton tous
    tout toute toutes très trop tu un une unes uns va vais vas venir vers via voilà voici vont
    vos votre vôtre vous vu y déjà vraiment juste rien quelque quelques chose choses faut
    falloir dit dire dis avoir être peut-être encore toujours jamais vraiment enfin alors ok
    okay mdr ptdr lol oui non bon ben euh ah oh bah bref genre cest jai jsuis chui pk pq stp
    svp merci après avant lieu déjà fin début moment cas sinon parce-que vraiment selon là-bas
    celui-ci celle-ci ceux-ci voir vois voit ans an jour jours heure heures minute minutes
    """
)

# Fillers of French and English posts: they open or pad a post, and name nothing.
FILLERS: frozenset[str] = _words(
    """
    petit petite petits coup vaut perso franchement sérieux sérieusement honnêtement bref
    quick honestly seriously literally actually anyway btw tbh imo
    """
)

ENGLISH: frozenset[str] = _words(
    """
    a about above after again against all also am an and any are aren't as at be because been
    before being below between both but by can can't cannot could couldn't did didn't do does
    doesn't doing don't down during each even ever every few for from further get gets got had
    hadn't has hasn't have haven't having he he'd he'll he's her here here's hers herself him
    himself his how how's i i'd i'll i'm i've if in into is isn't it it's its itself just let's
    like me more most much must mustn't my myself no nor not now of off on once only or other
    ought our ours ourselves out over own really same shan't she she'd she'll she's should
    shouldn't so some still such than that that's the their theirs them themselves then there
    there's these they they'd they'll they're they've this those through to too under until up
    upon us very via was wasn't we we'd we'll we're we've were weren't what what's when when's
    where where's which while who who's whom why why's will with won't would wouldn't yet you
    you'd you'll you're you've your yours yourself yourselves amp rt lol lmao omg pls please
    thanks thank ok okay yes yeah yep nope oh wow hey hi im ive dont cant wont doesnt didnt
    isnt thats theres youre make made going go goes one two thing things today yesterday day
    days week time people someone anyone everyone guys say says said see seen know think
    thought want wants way well back new
    """
)

SOCIAL: frozenset[str] = _words("http https www com fr co t.co rt via amp")

# Small words that may join the two words of a key phrase: "délais de livraison", "point of sale",
# "service à la clientèle": a preposition, optionally followed by an article.
PREPOSITIONS: frozenset[str] = _words("de du des d à au aux en of for on")
ARTICLES: frozenset[str] = _words("la le les l the")
