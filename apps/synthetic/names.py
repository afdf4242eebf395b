"""Fixed name lists for the synthetic clinic: combined at random they give about
100,000 distinct full names, with the repeats ("Maria Garcia" twice) a real clinic has."""

FEMALE_FIRST_NAMES = """
Abigail Ada Adriana Aisha Alejandra Alice Alicia Amara Amelia Ana Andrea Angela Anita
Anna Anne Aria Audrey Ava Barbara Beatriz Bella Brenda Brianna Camila Carmen Carol
Caroline Catherine Charlotte Chloe Claire Clara Cynthia Daisy Dana Daniela Deborah Diana
Donna Dorothy Elena Eleanor Elizabeth Ella Emily Emma Erin Esther Eva Evelyn Fatima
Fiona Florence Frances Gabriela Grace Hannah Harper Hazel Helen Ines Irene Isabel Ivy
Jacqueline Jane Janet Jasmine Jennifer Jessica Joan Josephine Joy Judith Julia Karen
Katherine Kayla Keiko Laura Layla Leah Lily Linda Lucia Lucy Madison Margaret Maria
Marisol Martha Maya Megan Mei Melissa Mia Michelle Mila Naomi Natalie Nicole Nina Nora
Olivia Paula Penelope Priya Rachel Rebecca Rosa Ruth Sandra Sara Sarah Sofia Sophie
Stella Susan Tamara Teresa Valentina Victoria Violet Wendy Yasmin Zoe
""".split()  # noqa: SIM905 - a list of names reads best as words

MALE_FIRST_NAMES = """
Aaron Adam Adrian Ahmed Alan Albert Alejandro Alexander Andre Andrew Anthony Antonio
Arjun Arthur Benjamin Brandon Brian Bruce Caleb Carl Carlos Charles Christopher Daniel
David Dennis Diego Dmitri Douglas Dylan Edward Elijah Eric Ethan Eugene Felix Francisco
Frank Gabriel Gary George Gerald Gregory Hamza Harold Harry Henry Hiroshi Hugo Ian Isaac
Ivan Jack Jacob James Jason Javier Jeffrey Jeremy Jesse John Jonathan Jorge Jose Joseph
Joshua Juan Julian Kenji Kevin Kofi Larry Lawrence Leo Liam Logan Lucas Luis Malik
Manuel Marco Marcus Mark Martin Mason Mateo Matthew Michael Miguel Mohammed Nathan
Nicholas Noah Oliver Omar Oscar Patrick Paul Peter Rafael Rahul Ralph Raymond Ricardo
Richard Robert Roger Ryan Samuel Scott Sean Sebastian Sergio Simon Stephen Steven Thomas
Timothy Tyler Victor Vincent Walter Wei William Yusuf Zachary
""".split()  # noqa: SIM905 - a list of names reads best as words

LAST_NAMES = """
Abbott Acosta Adams Aguilar Ahmed Alexander Ali Allen Alvarez Anderson Andrews Armstrong
Arnold Bailey Baker Banks Barnes Bell Bennett Berry Bishop Black Boyd Bradley Brooks
Brown Bryant Burke Burns Butler Byrne Campbell Carlson Carpenter Carroll Carter Castillo
Castro Chan Chandler Chavez Chen Clark Cohen Cole Coleman Collins Cooper Cruz Cunningham
Daniels Davidson Davies Davis Delgado Diaz Dixon Dominguez Duncan Dunn Edwards Elliott
Ellis Evans Ferguson Fernandez Fields Fischer Fisher Fitzgerald Fleming Flores Ford
Foster Fox Francis Freeman Fuller Garcia Gardner Garza George Gibson Gill Gomez Gonzalez
Gordon Graham Grant Gray Green Greene Griffin Gupta Gutierrez Hall Hamilton Hansen Harper
Harris Harrison Hart Hawkins Hayes Henderson Henry Hernandez Hicks Hill Hoffman Holland
Holmes Howard Hughes Hunt Hunter Ito Jackson James Jenkins Jensen Johnson Johnston Jones
Jordan Kapoor Kaur Keller Kelly Kennedy Khan Kim King Klein Knight Kowalski Kumar Lambert
Lane Larsen Lawrence Lawson Lee Lewis Li Lin Liu Long Lopez Lynch Marshall Martin
Martinez Mason Matthews Mcdonald Medina Mendoza Meyer Miller Mills Mitchell Moore Morales
Moreno Morgan Morris Murphy Murray Myers Nakamura Nelson Nguyen Nichols Novak Obrien
Okafor Olsen Oliver Olson Ortiz Owens Palmer Park Parker Patel Patterson Payne Pearson
Perez Perry Peters Peterson Phillips Pierce Porter Powell Price Quinn Ramirez Ramos Reed
Reid Reyes Reynolds Rice Richards Richardson Rivera Roberts Robertson Robinson Rodriguez
Rogers Romero Rose Ross Ruiz Russell Ryan Sanchez Sanders Santos Schmidt Schneider Scott
Shah Shaw Silva Simmons Simpson Singh Smith Snyder Spencer Stevens Stewart Stone Sullivan
Suzuki Tanaka Taylor Thomas Thompson Torres Tran Tucker Turner Vargas Vasquez Wagner
Walker Wallace Walsh Wang Ward Warren Washington Watson Weaver Webb Weber Wells West
White Williams Willis Wilson Wong Wood Woods Wright Wu Yamamoto Yang Young Zhang Zimmerman
""".split()  # noqa: SIM905 - a list of names reads best as words
